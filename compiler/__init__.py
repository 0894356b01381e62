"""yibao"""
