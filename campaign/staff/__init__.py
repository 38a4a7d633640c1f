"""Staff sign-in: the admin site that demands a second factor, its steps, and the lockout's helpers."""
