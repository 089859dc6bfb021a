"""Users, roles, area and organisation scopes, tokens and the one permission check."""
