"""Bot and IVR flows as data, shared by chat and voice; self-service actions."""
