"""Reading and checking every input form, and writing files atomically."""
