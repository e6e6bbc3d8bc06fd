"""The @task wrappers between tasks/ (pure stages) and warehouse/ (storage): the only code
that imports both."""
