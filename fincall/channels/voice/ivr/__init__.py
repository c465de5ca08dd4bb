"""The IVR: flows as YAML data and the call handler that runs them."""
