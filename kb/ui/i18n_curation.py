# ruff: noqa: E501
"""Interface labels of entity curation on the entity page (merge, rename, possible duplicates).

Kept beside :mod:`kb.ui.i18n` (which merges them into its labels), as :mod:`kb.ui.i18n_access`;
same row format: English, Spanish, Portuguese, French.
"""

from __future__ import annotations

CURATION_ROWS: dict[str, tuple[str, str, str, str]] = {
    "curate": ("Correct this entity", "Corregir esta entidad", "Corrigir esta entidade", "Corriger cette entité"),
    "curate_help": (
        "Corrections apply to every document at once, are kept when documents are ingested again, and are recorded with your name. They need write access to the collections that mention the entity.",
        "Las correcciones se aplican a todos los documentos a la vez, se conservan al volver a ingerirlos y quedan registradas con su nombre. Requieren permiso de escritura en las colecciones que mencionan la entidad.",
        "As correções aplicam-se a todos os documentos de uma vez, mantêm-se quando os documentos são reingeridos e ficam registradas com o seu nome. Exigem permissão de escrita nas coleções que mencionam a entidade.",
        "Les corrections s'appliquent à tous les documents à la fois, sont conservées quand les documents sont réintégrés et sont enregistrées à votre nom. Elles exigent le droit d'écriture sur les collections qui mentionnent l'entité.",
    ),
    "curate_merge_into": (
        "Same entity as (id)",
        "Misma entidad que (id)",
        "Mesma entidade que (id)",
        "Même entité que (id)",
    ),
    "curate_merge": ("Merge", "Fusionar", "Mesclar", "Fusionner"),
    "curate_rename_to": ("New name", "Nuevo nombre", "Novo nome", "Nouveau nom"),
    "curate_rename": ("Rename", "Renombrar", "Renomear", "Renommer"),
    "curate_done": (
        "Saved: {n} passages changed.",
        "Guardado: {n} pasajes cambiados.",
        "Salvo: {n} trechos alterados.",
        "Enregistré : {n} passages modifiés.",
    ),
    "curate_duplicates": ("Possible duplicates", "Posibles duplicados", "Possíveis duplicados", "Doublons possibles"),
    "curate_same": ("Same entity", "Es la misma", "É a mesma", "C'est la même"),
    "curate_different": ("Different", "Es otra", "É outra", "C'est une autre"),
}
