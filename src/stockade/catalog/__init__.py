"""Catalogers: find the packages a target is made of."""
