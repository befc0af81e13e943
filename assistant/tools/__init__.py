"""ShopAssist's tools for agents: the abilities as plain functions, and an MCP server and LangChain
tools over the HTTP API."""
