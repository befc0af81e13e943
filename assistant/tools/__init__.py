"""ShopAssist's tools for agents: an MCP server and LangChain tools over the HTTP API."""
