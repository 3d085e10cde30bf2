"""A small stand-in for the WebArena sites that behaves like them where isolation matters."""
