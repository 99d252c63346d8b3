"""One citation style, author–year, in the text and in the reference list.

sphinxcontrib-bibtex formats in-text citations with ``bibtex_reference_style`` and the reference list with a
pybtex formatting style, ``bibtex_default_style``, whose default ("alpha") labels entries ``[VSP+17]``: a
reader who sees "(Vaswani et al., 2017)" in the text then looks for it among alpha codes. This extension
registers:

* the pybtex formatting style ``author_year``: the entries as pybtex's ``unsrt`` writes them, sorted by
  author, year and title, each labelled as the text cites it, ``[Vaswani et al., 2017]``;
* the referencing style ``author_year_suffix``: sphinxcontrib-bibtex's ``author_year`` with one change, the
  year carries the list's disambiguating letter, so the two Levy and Goldberg papers of 2014 are cited as
  "(Levy and Goldberg, 2014a)" and "(… 2014b)", exactly as the list labels them.

Names come from the same pybtex name style the in-text citations use (``last``), rendered to plain text, so
``Del{\\'e}tang`` reads "Delétang" in both places.
"""

from __future__ import annotations

import string
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pybtex.plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.template import FieldIsMissing, field, first_of, join as pybtex_join, node, optional, sentence
from sphinxcontrib.bibtex.plugin import register_plugin as register_referencing_plugin
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.referencing.basic_author_year import (
    BasicAuthorYearParentheticalReferenceStyle,
    BasicAuthorYearTextualReferenceStyle,
)
from sphinxcontrib.bibtex.style.template import join, join2, post_text, pre_text, reference

#: Name of the pybtex formatting style (``bibtex_default_style``) and referencing style
#: (``bibtex_reference_style``) this extension registers.
FORMATTING_STYLE = "author_year"
REFERENCING_STYLE = "author_year_suffix"

_LAST = pybtex.plugin.find_plugin("pybtex.style.names", "last")()


def _surname(person) -> str:
    """A person's surname as the text prints it: von part and last name, LaTeX decoded ("von Platen")."""
    return _LAST.format(person, True).format().render_as("text")


def author_year_base(entry) -> str:
    """The label before disambiguation: "Kudo, 2018", "Press and Wolf, 2017", "Vaswani et al., 2017".

    The same rule as sphinxcontrib-bibtex's in-text author list (one or two names in full, three or more as
    the first and "et al."); the editors when there is no author, else the title.
    """
    persons = entry.persons.get("author") or entry.persons.get("editor")
    if persons:
        names = [_surname(p) for p in persons]
        who = names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2 else f"{names[0]} et al."
    else:
        who = Text(entry.fields.get("title", entry.key)).render_as("text")
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels ``Author, Year``; entries that would share a label get ``a``, ``b``, … after the year, in the
    order of the (sorted) list, as natbib does."""

    def format_labels(self, sorted_entries):
        sorted_entries = list(sorted_entries)
        bases = [author_year_base(entry) for entry in sorted_entries]
        groups: dict[str, list[int]] = defaultdict(list)
        for i, base in enumerate(bases):
            groups[base].append(i)
        labels = list(bases)
        for indices in groups.values():
            if len(indices) > 1:
                for letter, i in zip(string.ascii_lowercase, indices):
                    labels[i] = bases[i] + letter
        return labels


def _is_others(person) -> bool:
    """BibTeX's ``and others``, which pybtex keeps as a person whose last name is "others"."""
    return not person.first_names and not person.middle_names and person.last_names == ["others"]


@node
def names_et_al(children, context, role, **kwargs):
    """pybtex's ``names``, except that a trailing ``and others`` reads "et al." (BibTeX's own styles do
    this; pybtex's ``unsrt`` prints "and others")."""
    assert not children
    try:
        persons = context["entry"].persons[role]
    except KeyError:
        raise FieldIsMissing(role, context["entry"]) from None
    style = context["style"]
    others = len(persons) > 1 and _is_others(persons[-1])
    formatted = [style.format_name(p, style.abbreviate_names) for p in (persons[:-1] if others else persons)]
    if others:
        return Text(pybtex_join(sep=", ")[formatted].format_data(context), " et al.")
    return pybtex_join(**kwargs)[formatted].format_data(context)


class AuthorYearStyle(UnsrtStyle):
    """pybtex's ``unsrt`` entries, sorted by author, year and title, labelled ``Author, Year``; a list of
    authors that ends in ``and others`` reads "… et al."."""

    default_label_style = AuthorYearLabelStyle
    default_sorting_style = "author_year_title"

    def format_names(self, role, as_sentence=True):
        formatted = names_et_al(role, sep=", ", sep2=" and ", last_sep=", and ")
        return sentence[formatted] if as_sentence else formatted


@node
def year_as_labelled(children, data: dict[str, Any]):
    """The year, with the letter the reference list added to this entry's label (``2014a``), if any."""
    assert not children
    year = first_of[optional[field("year")], "n.d."].format_data(data)
    label = data["formatted_entry"].label
    plain = year.render_as("text")
    suffix = label[label.rfind(plain) + len(plain):] if plain in label else ""
    return Text(year, suffix) if len(suffix) == 1 and suffix.isalpha() else year


@dataclass
class _Parenthetical(BasicAuthorYearParentheticalReferenceStyle):
    def inner(self, role_name):
        return join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
            pre_text,
            reference[
                join(sep=self.author_year_sep)[
                    self.person.author_or_editor_or_title(full="s" in role_name), year_as_labelled
                ]
            ],
            post_text,
        ]


@dataclass
class _Textual(BasicAuthorYearTextualReferenceStyle):
    def inner(self, role_name):
        return join(sep=self.text_reference_sep)[
            self.person.author_or_editor_or_title(full="s" in role_name),
            join[
                self.bracket.left,
                join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
                    pre_text, reference[year_as_labelled], post_text
                ],
                self.bracket.right,
            ],
        ]


@dataclass
class AuthorYearSuffixReferenceStyle(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's ``author_year`` whose ``:cite:p:`` and ``:cite:t:`` print the year as the
    reference list labels it (``2014a``)."""

    def __post_init__(self):
        super().__post_init__()
        replace = {BasicAuthorYearParentheticalReferenceStyle: _Parenthetical,
                   BasicAuthorYearTextualReferenceStyle: _Textual}
        for i, style in enumerate(self.styles):
            if type(style) in replace:
                fields = {name: getattr(style, name) for name in style.__dataclass_fields__}
                self.styles[i] = replace[type(style)](**fields)
        self.role_style.update((name, style) for style in self.styles for name in style.role_names())


def register() -> None:
    """Register both styles (idempotent); also used by tests/test_bibliography.py."""
    pybtex.plugin.register_plugin("pybtex.style.formatting", FORMATTING_STYLE, AuthorYearStyle, force=True)
    register_referencing_plugin(
        "sphinxcontrib.bibtex.style.referencing", REFERENCING_STYLE, AuthorYearSuffixReferenceStyle, force=True
    )


def setup(app):
    register()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
