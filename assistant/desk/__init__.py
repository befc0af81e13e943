"""Customer service's data: orders and handoff tickets, the agent desk's replies, the answer log,
and what is held about a user (export, forget)."""
