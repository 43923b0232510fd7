"""Modelwatch's provider simulator: fake OpenAI and Anthropic endpoints with switchable faults."""
