"""The Gradio app: ``python demo/app.py`` builds the page (``app.build``), launches it and then compiles the models
in the background (``app.serve``)."""
