"""A small fixed retrieval corpus: questions, and the passage that answers each (the passages share some
words with their question, as real answers do, and often paraphrase the rest). Written for these tests."""

from __future__ import annotations

PAIRS: list[tuple[str, str]] = [
    ("How tall is the Eiffel Tower?",
     "The Eiffel Tower in Paris stands 330 metres tall, including the antennas at its top."),
    ("What is the boiling point of water at sea level?",
     "At sea level, pure water boils at 100 degrees Celsius; at altitude the boiling point is lower."),
    ("Who wrote the novel Pride and Prejudice?",
     "Pride and Prejudice is a novel by Jane Austen, first published in 1813."),
    ("How do I reset my account password?",
     "To reset your password, open the account settings page and choose 'Forgot password'; a reset link "
     "is emailed to you."),
    ("What causes the seasons on Earth?",
     "Seasons happen because Earth's axis is tilted, so each hemisphere receives more direct sunlight for "
     "part of the year."),
    ("How many bones are in the adult human body?",
     "An adult human body has 206 bones, fewer than a newborn's, as some bones fuse during growth."),
    ("What is the capital city of Australia?",
     "Canberra, not Sydney, is the capital city of Australia; it was purpose-built as the capital."),
    ("How does photosynthesis work in plants?",
     "In photosynthesis, plants use sunlight, water and carbon dioxide to make glucose and release oxygen."),
    ("What is the speed of light in a vacuum?",
     "Light travels through a vacuum at about 299,792 kilometres per second."),
    ("How can I speed up a slow database query?",
     "A slow query usually speeds up once the columns it filters on have an index; check the query plan."),
    ("When did the Second World War end?",
     "The Second World War ended in 1945, with Japan's surrender in September."),
    ("What is the largest planet in our solar system?",
     "Jupiter is the largest planet in the solar system, more than eleven times as wide as Earth."),
    ("How do vaccines protect against disease?",
     "Vaccines train the immune system to recognise a pathogen, so the body fights the disease quickly."),
    ("What is the return policy for online orders?",
     "Online orders can be returned within 30 days for a full refund, provided the item is unused."),
    ("How do I cancel my subscription?",
     "You can cancel a subscription at any time from the billing page; it stays active until the period "
     "ends."),
    ("Which programming language is used for data analysis with pandas?",
     "pandas is a Python library for data analysis, built on NumPy arrays."),
    ("What is the tallest mountain in the world?",
     "Mount Everest, on the border of Nepal and China, is the world's tallest mountain at 8,849 metres."),
    ("How long should I boil an egg for a soft yolk?",
     "For a soft yolk, boil the egg for about six minutes, then cool it in cold water."),
    ("What does a GPU do in machine learning?",
     "In machine learning, a GPU runs thousands of parallel arithmetic operations, which speeds up "
     "training neural networks."),
    ("Why is the sky blue?",
     "The sky looks blue because air scatters short blue wavelengths of sunlight more than red ones "
     "(Rayleigh scattering)."),
    ("How do I change a flat tyre on a car?",
     "To change a flat tyre, loosen the wheel nuts, raise the car with a jack, swap the wheel and tighten "
     "the nuts again."),
    ("What is the currency of Japan?",
     "Japan's currency is the yen, issued by the Bank of Japan."),
    ("How much water should an adult drink per day?",
     "Most adults need around two litres of water a day, more in hot weather or with exercise."),
    ("What is the main cause of climate change?",
     "Climate change is mainly caused by greenhouse gases, above all carbon dioxide from burning fossil "
     "fuels."),
    ("How does a refrigerator keep food cold?",
     "A refrigerator pumps a refrigerant that absorbs heat inside and releases it outside, keeping the "
     "food cold."),
    ("What are the symptoms of the common cold?",
     "Common cold symptoms include a runny nose, sore throat, sneezing and a mild cough."),
]  # fmt: skip

QUERIES = [q for q, _ in PAIRS]
PASSAGES = [p for _, p in PAIRS]
