"""Keypoint skeletons: the Label Studio label of each named point.

A field whose dataset has a ``KeypointSkeleton`` (``dataset.skeletons`` or
``default_skeleton``) labels each point region with its point name, so
annotators place named points: ``"<point>"`` when the field has one class,
``"<class>: <point>"`` when it has several.
"""


class SkeletonLabels:
    """The Label Studio label of each (class, point name) of a skeleton."""

    SEPARATOR = ": "

    def __init__(self, classes, names):
        self.classes = [str(c) for c in classes or []]
        self.names = [str(n) for n in names or []]
        if len(set(self.names)) != len(self.names):
            raise ValueError("skeleton point names must be distinct")
        self.prefixed = len(self.classes) != 1
        self._parse = {}
        for cls in self.classes:
            for index, name in enumerate(self.names):
                self._parse[self._text(cls, name)] = (cls, index)

    def _text(self, cls, name):
        return cls + self.SEPARATOR + name if self.prefixed else name

    def value(self, cls, index: int) -> str:
        """The label of point ``index`` of a keypoint of class ``cls``."""
        if 0 <= index < len(self.names) and str(cls) in self.classes:
            return self._text(str(cls), self.names[index])
        return str(cls)

    def values(self, classes=None) -> list[str]:
        """All labels (of ``classes``), class by class in point order."""
        wanted = self.classes if classes is None else classes
        return [
            self._text(c, n)
            for c in self.classes
            if c in wanted
            for n in self.names
        ]

    def parse(self, text):
        """``(class, point index)`` of a label, or None."""
        return self._parse.get(text)


def skeleton_labels(skeleton, classes):
    """A :class:`SkeletonLabels` for point names, or None."""
    names = [n for n in skeleton or [] if n is not None]
    if not names or not classes:
        return None
    return SkeletonLabels(classes, names)
