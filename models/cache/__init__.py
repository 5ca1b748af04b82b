"""The persistent result cache: SQLite storage (`store`), the cache facade (`results`) and
the keys that name every output (`keys`)."""
