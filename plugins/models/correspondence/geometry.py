"""Deprecated location: the coordinate maps moved to :mod:`plugins.utils.affine` (codecs and
transforms import them from there). Re-exported so existing imports keep working."""
from plugins.utils.affine import (apply_affine, compose_affine, input_to_map, inside_image,  # noqa: F401
                                  invert_affine, letterbox_matrix, map_scale, map_to_input)

__all__ = ['apply_affine', 'compose_affine', 'input_to_map', 'inside_image', 'invert_affine',
           'letterbox_matrix', 'map_scale', 'map_to_input']
