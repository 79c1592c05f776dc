"""Episode scripts: the script kind, the script structure and its editor layout, the series of
an outline version, exports (Fountain, Final Draft, Word, Markdown, print) and screen time.

The bible and consistency kinds read its prompts and structure, so importing the package loads
nothing else: the app registers `app.scripts.views` and `app.scripts.api` itself."""
