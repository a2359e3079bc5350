"""matplotlib for reports written to files: no display, and quiet while it loads (its styles raise
deprecation warnings that Rasa's logging would print to standard output, where our JSON goes)."""
import warnings


def pyplot():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    return plt
