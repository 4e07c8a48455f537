"""The Gradio app: ``python demo/app.py`` builds the page (``app.build``) and launches it."""
