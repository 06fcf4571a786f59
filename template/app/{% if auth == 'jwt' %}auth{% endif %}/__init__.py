"""Authentication: sign-up, OAuth2 password-flow tokens (JWT) and the current user."""
