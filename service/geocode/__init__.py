"""``/v1/geocode``: addresses and places typed by a person → points (BAN or offline)."""
