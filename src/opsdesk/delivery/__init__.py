"""The outbox: every outbound message is written with the change that causes it and delivered
after commit, at least once, with an idempotency key, retries and a circuit breaker per destination."""
