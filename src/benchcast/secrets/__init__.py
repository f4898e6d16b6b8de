"""Secret detection shared by the streamer's machine and the server: rules, context, known
values and the scanner that combines them. Masking policy lives with each caller."""
