"""What a flow needs from its Prefect runtime: environment defaults, a supervised local
server, the writer slot."""
