"""What a person sees and hears during a session: the terminal UI, plain-text lines and the pacer
sound."""
