"""Admin for petitions and supporters' signatures (the "Supporter data" group only)."""
