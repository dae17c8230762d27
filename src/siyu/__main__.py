from siyu.cli.main import app

app(prog_name="siyu")
