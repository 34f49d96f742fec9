"""Live updates: the WebSocket connections, who may connect, and what is pushed to whom."""
