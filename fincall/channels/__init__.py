"""Channel adapters: each turns an outside medium (voice, chat, email, webhooks) into contacts."""
