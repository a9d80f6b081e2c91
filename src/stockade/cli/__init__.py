"""The command line.  The only part of stockade that prints or exits."""
