"""The one thing pyproject.toml cannot say without an experimental table: the optional C modules.

``stockade.target._yamlc`` is the YAML reader's line tokenizer and block walk in C (``_yamlc.c`` says
why); ``stockade.runtime.rules._screen`` is a replay's memo of events that match no rule (``_screen.c``).
``optional=True``: where no C compiler (or no Python headers) is found, the build goes on without them and
the package runs the same code in Python (``stockade.target.yamlfast``) or replays every event through the
engine (``stockade.runtime.rules.screen``), with the same results.
"""

from setuptools import Extension, setup

FLAGS = ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]

setup(
    ext_modules=[
        Extension(
            "stockade.target._yamlc",
            ["src/stockade/target/_yamlc.c"],
            optional=True,
            extra_compile_args=FLAGS,
        ),
        Extension(
            "stockade.runtime.rules._screen",
            ["src/stockade/runtime/rules/_screen.c"],
            optional=True,
            extra_compile_args=FLAGS,
        ),
    ]
)
