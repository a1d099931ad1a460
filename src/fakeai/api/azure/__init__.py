"""Azure OpenAI's routes over the existing families (``/openai/deployments/{deployment}/...``)."""
