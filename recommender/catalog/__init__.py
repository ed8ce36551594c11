"""Film tables: parsing TMDB-style CSVs, the sources, the Film/Catalog types and their stored form."""
