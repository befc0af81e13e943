"""ShopAssist: the assistant layer (config, CLI, engine, API). Importing it loads no model."""

__version__ = "0.1.0"
