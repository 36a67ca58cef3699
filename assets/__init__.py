"""One module per source family, plus the trend and reproduction tables built from them."""
