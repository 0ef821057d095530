"""Private Postfix and Dovecot instances: the real servers every example is also proved against.

Two Postfix instances (one per provider of ``labo.identity``, each on its own loopback address)
and one Dovecot (IMAP, POP3, LMTP delivery, SASL for both Postfix) run from a temporary directory
and leave nothing behind. ``install`` puts the packages in place, ``config`` writes the files,
``servers`` runs them.
"""
