"""The one thing pyproject.toml cannot say without an experimental table: the optional C module.

``stockade.target._yamlc`` is the YAML reader's line tokenizer and block walk in C (``_yamlc.c`` says
why).  ``optional=True``: where no C compiler (or no Python headers) is found, the build goes on without
it and the package runs the same code in Python (``stockade.target.yamlfast``), with the same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "stockade.target._yamlc",
            ["src/stockade/target/_yamlc.c"],
            optional=True,
            extra_compile_args=[
                "-O2",
                "-Wall",
                "-Wextra",
                "-Wno-unused-parameter",
                "-Wno-missing-field-initializers",
            ],
        )
    ]
)
