"""Ways into a stream for what scientists already use: framework hooks (Hugging Face,
Lightning, Keras), tailed files (TensorBoard event files, JSONL and CSV metrics), machine
telemetry, and the IPython extension. Each imports its framework only when used."""
