/// Values of every processing setting other than the ones settings start with, as `matte ctl set` types them
/// (a flag `on`, a list's values separated by spaces), by the setting's name: the declarations' tests and the
/// command line's share them, and both fail for a setting that has none.
public let settingSamples: [String: [String]] = [
    "background": ["blur:40", "#1d3557", "none", "/home/me/My Pictures/beach.jpg", "blur:1"],
    "fit": ["contain", "stretch", "tile"],
    "foreground": ["/home/me/logo.png", "logo with spaces.png"],
    "foreground-opacity": ["0", "0.25", "0.6"],
    "effect": ["hologram", "sepia hologram", "colormap:thermal brightness:1.5 opacity:0.3", "grayscale"],
    "mirror": ["on"],
    "threshold": ["0", "0.7", "1"],
    "softness": ["0.1", "1"],
    "dilate": ["-50", "-5", "50"],
    "feather": ["1", "50"],
    "smoothing": ["0", "0.35"],
    "edge-refinement": ["on"],
    "light-wrap": ["0.3", "1"],
    "framing": ["auto", "auto:2.5", "auto:1.1"],
]
