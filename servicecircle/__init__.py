"""servicecircle: coverage of civil-affairs public service facilities against plan targets.

Importing the package does nothing: no logging set-up, no disk, no network.
"""

__version__ = "0.1.0"
