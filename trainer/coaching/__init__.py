"""What guides the breathing: the pacer, the coach, the signs of strain and the program
conductor."""
