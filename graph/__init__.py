"""Pure domain core of maillage: the partner network, its vocabulary and its algorithms."""
