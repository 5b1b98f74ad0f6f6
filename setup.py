"""Packaging beyond what setup.cfg can say: configs/ ships inside the package.

Users run shipped configs by name (`pitchfit train demo`), so a non-editable
install must carry them. The checkout keeps them in the top-level configs/
(where users of the repository look for them); here that folder is installed
as the data package `pitchfit/configs`, which `pitchfit.config.find_config`
searches. Everything else is in setup.cfg.
"""

import setuptools

setuptools.setup(
    packages=setuptools.find_packages(
        include=['pitchfit', 'pitchfit.*', 'tfds_builders', 'tfds_builders.*'])
    + ['pitchfit.configs'],
    package_dir={'pitchfit.configs': 'configs'},
)
