"""Front ends other than the terminal: an MCP server (`mcp.py`) and a Slack app (`slack.py`).

Both drive the same Agent, loop, policy and tool registry as `shipshape chat`; what they share lives in
`session.py`. Nothing imports a front end: they are reached only through `shipshape serve`.
"""
