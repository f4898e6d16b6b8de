"""Fan-out between server processes: "stream S has new events up to seq N".

The in-process bus is the embedded default. The store is the truth and the bus only says that
events exist, so a subscriber that sees a gap fills it from the store.
"""
