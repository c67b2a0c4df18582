"""How messages leave the service: e-mail over SMTP, webhooks over HTTPS."""
