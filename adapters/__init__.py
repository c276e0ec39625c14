"""Platform adapters: they translate platform events into the core's types and back, nothing more."""
