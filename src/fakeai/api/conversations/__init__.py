"""The Conversations API (``/v1/conversations``): stored item lists that responses read and append to."""
