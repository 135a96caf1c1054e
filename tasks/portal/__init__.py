"""The web's area (portal.md): its own state (users, sessions, audit log) and the read functions
behind the 管理画面 and the operators' console, shared with the CLI. No web framework here."""
