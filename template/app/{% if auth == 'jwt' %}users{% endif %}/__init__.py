"""Users: accounts that own todos (present with JWT auth)."""
