"""Short explanations of each outcome, in English, French and Korean.

Keys are the ``Row.key`` of the status tables plus a few for outcomes that are not a
status. Each text says what happened and what the caller should do next.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._explain_services import SERVICE_TEXTS

LANGUAGES = ("en", "fr", "ko")

_MPSD_AND_OUTCOMES: Mapping[str, Mapping[str, str]] = {
    # --- MPSD -------------------------------------------------------------------------
    "mpsd.200": {
        "en": "The session was read or updated; the body is the whole session and ETag is "
        "its new version.",
        "fr": "La session a été lue ou modifiée ; le corps contient la session entière et "
        "l'ETag sa nouvelle version.",
        "ko": "세션을 읽거나 수정했습니다. 본문은 세션 전체이고 ETag는 새 버전입니다.",
    },
    "mpsd.201": {
        "en": "The session did not exist and this PUT created it; keep the ETag for your "
        "next conditional write.",
        "fr": "La session n'existait pas et ce PUT l'a créée ; gardez l'ETag pour la "
        "prochaine écriture conditionnelle.",
        "ko": "세션이 없어서 이 PUT이 새로 만들었습니다. 다음 조건부 쓰기를 위해 ETag를 보관하세요.",
    },
    "mpsd.200.query": {
        "en": "The query ran; the body lists what it found (possibly nothing).",
        "fr": "La requête s'est exécutée ; le corps liste ce qu'elle a trouvé (peut-être rien).",
        "ko": "조회가 실행되었습니다. 본문에 찾은 항목이 나열됩니다(없을 수도 있습니다).",
    },
    "mpsd.200.handle": {
        "en": "The handle was read (or updated); the body is the handle and names its session.",
        "fr": "Le handle a été lu (ou mis à jour) ; le corps est le handle et nomme sa session.",
        "ko": "핸들을 읽었거나 갱신했습니다. 본문은 핸들이며 그 세션을 가리킵니다.",
    },
    "mpsd.200.template": {
        "en": "The session template (or the list of templates) was read.",
        "fr": "Le modèle de session (ou la liste des modèles) a été lu.",
        "ko": "세션 템플릿(또는 템플릿 목록)을 읽었습니다.",
    },
    "mpsd.201.handle": {
        "en": "A new handle was created; its id is in the body and in Location. Sending the "
        "request again would create another one.",
        "fr": "Un nouveau handle a été créé ; son id est dans le corps et dans Location. "
        "Renvoyer la requête en créerait un autre.",
        "ko": "새 핸들이 만들어졌습니다. id는 본문과 Location에 있습니다. 요청을 다시 보내면 또 하나가 만들어집니다.",
    },
    "mpsd.204.handle": {
        "en": "The handle is deleted; the session it pointed to is untouched.",
        "fr": "Le handle est supprimé ; la session qu'il désignait n'est pas touchée.",
        "ko": "핸들이 삭제되었습니다. 핸들이 가리키던 세션은 그대로입니다.",
    },
    "mpsd.handle.empty": {
        "en": "The handle request was done and the service sent no body, as it does when "
        "an activity is set; there is nothing to read back.",
        "fr": "La demande sur le handle a abouti et le service n'a pas renvoyé de corps, "
        "comme lorsqu'une activité est définie ; il n'y a rien à relire.",
        "ko": "핸들 요청이 처리되었고 서비스가 본문 없이 응답했습니다(활동을 설정할 때처럼). "
        "다시 읽을 내용은 없습니다.",
    },
    "mpsd.202": {
        "en": "The service took the request but has not finished it; read the session later "
        "to see the result.",
        "fr": "Le service a pris la demande sans l'avoir terminée ; relisez la session plus "
        "tard pour voir le résultat.",
        "ko": "서비스가 요청을 받았지만 아직 끝내지 않았습니다. 나중에 세션을 다시 읽어 결과를 확인하세요.",
    },
    "mpsd.204.get-session": {
        "en": "There is no session at this address; create it with a PUT if you need it.",
        "fr": "Aucune session n'existe à cette adresse ; créez-la par un PUT si besoin.",
        "ko": "이 주소에는 세션이 없습니다. 필요하면 PUT으로 만드세요.",
    },
    "mpsd.204.get-element": {
        "en": "The session exists but this element of it does not (for example you are not "
        "a member).",
        "fr": "La session existe mais pas cet élément (par exemple, vous n'en êtes pas membre).",
        "ko": "세션은 있지만 이 요소는 없습니다(예: 당신이 멤버가 아님).",
    },
    "mpsd.204.put-session": {
        "en": "The write removed the session, typically because its last member left; "
        "there is nothing more to read.",
        "fr": "L'écriture a supprimé la session, en général parce que son dernier membre est "
        "parti ; il n'y a plus rien à lire.",
        "ko": "마지막 멤버가 나가는 등 이 쓰기로 세션이 삭제되었습니다. 더 읽을 것이 없습니다.",
    },
    "mpsd.204.write-element": {
        "en": "The session existed when the call began, but now neither it nor the element exists.",
        "fr": "La session existait au début de l'appel, mais ni elle ni l'élément n'existent plus.",
        "ko": "호출 시작 때는 세션이 있었지만 이제 세션도 요소도 없습니다.",
    },
    "mpsd.204.delete-session": {
        "en": "The session is deleted (or was already gone).",
        "fr": "La session est supprimée (ou avait déjà disparu).",
        "ko": "세션이 삭제되었습니다(또는 이미 없었습니다).",
    },
    "mpsd.304": {
        "en": "The session still matches the ETag you sent in If-None-Match; your copy is current.",
        "fr": "La session correspond toujours à l'ETag envoyé dans If-None-Match ; votre "
        "copie est à jour.",
        "ko": "세션이 If-None-Match로 보낸 ETag와 같습니다. 가지고 있는 사본이 최신입니다.",
    },
    "mpsd.400": {
        "en": "The service rejected the request as malformed (bad JSON or a missing field); "
        "fix the request using the server's message before retrying.",
        "fr": "Le service a refusé une requête mal formée (JSON invalide ou champ manquant) ; "
        "corrigez-la d'après le message du serveur avant de réessayer.",
        "ko": "잘못된 요청(JSON 오류 또는 필수 필드 누락)으로 거부되었습니다. 서버 메시지를 보고 고친 뒤 다시 보내세요.",
    },
    "mpsd.401": {
        "en": "Authorization is missing or expired; the client already refreshed the token "
        "once, so check the token provider.",
        "fr": "L'autorisation manque ou a expiré ; le client a déjà renouvelé le jeton une "
        "fois, vérifiez donc le fournisseur de jetons.",
        "ko": "인증 정보가 없거나 만료되었습니다. 클라이언트가 토큰을 이미 한 번 갱신했으니 토큰 공급자를 확인하세요.",
    },
    "mpsd.403.text": {
        "en": "Authorization failed for this request in this context; check the token, the "
        "title's access to the SCID and the template's rules.",
        "fr": "L'autorisation a échoué pour cette requête dans ce contexte ; vérifiez le "
        "jeton, l'accès du titre au SCID et les règles du modèle.",
        "ko": "이 상황에서 요청 권한이 거부되었습니다. 토큰, 타이틀의 SCID 접근 권한, 템플릿 규칙을 확인하세요.",
    },
    "mpsd.403.session": {
        "en": "You may read this session but not change it (for example you are not a "
        "member); the current session is attached.",
        "fr": "Vous pouvez lire cette session mais pas la modifier (par exemple, vous n'en "
        "êtes pas membre) ; la session actuelle est jointe.",
        "ko": "이 세션을 읽을 수는 있지만 바꿀 수는 없습니다(예: 멤버가 아님). 현재 세션이 첨부되어 있습니다.",
    },
    "mpsd.404": {
        "en": "Nothing answers at this URI: the SCID, template, handle or session is unknown, "
        "or the session of this element does not exist; check the reference.",
        "fr": "Rien ne répond à cette URI : SCID, modèle, handle ou session inconnu, ou la "
        "session de cet élément n'existe pas ; vérifiez la référence.",
        "ko": "이 URI에 해당하는 것이 없습니다. SCID, 템플릿, 핸들, 세션을 찾을 수 없거나 이 요소의 세션이 없습니다. 참조를 확인하세요.",
    },
    "mpsd.405": {
        "en": "This URI exists but not for this verb; use one of the methods in Allow.",
        "fr": "Cette URI existe, mais pas pour ce verbe ; utilisez une des méthodes de Allow.",
        "ko": "이 URI는 있지만 이 메서드는 쓸 수 없습니다. Allow에 있는 메서드를 쓰세요.",
    },
    "mpsd.409": {
        "en": "The change clashes with the session: constants differ from those already set, "
        "or other members changed in a large session; rethink the request.",
        "fr": "La modification heurte la session : des constantes diffèrent de celles déjà "
        "fixées, ou d'autres membres ont changé dans une grande session ; revoyez la "
        "requête.",
        "ko": "변경이 세션과 충돌합니다. 상수가 이미 정해진 값과 다르거나 대형 세션에서 다른 멤버를 바꾸려 했습니다. 요청을 다시 검토하세요.",
    },
    "mpsd.412.empty": {
        "en": "The If-Match or If-None-Match condition did not hold (the session is missing, "
        "or already exists for a create-only write); read the session and decide again.",
        "fr": "La condition If-Match ou If-None-Match n'a pas tenu (la session manque, ou "
        "existe déjà pour une création seule) ; relisez la session et décidez à nouveau.",
        "ko": "If-Match 또는 If-None-Match 조건이 맞지 않았습니다(세션이 없거나, 생성 전용 쓰기인데 이미 있음). 세션을 다시 읽고 판단하세요.",
    },
    "mpsd.412.session": {
        "en": "Someone changed the session since your copy; the current session and ETag "
        "are attached, so apply your change to them and write again.",
        "fr": "Quelqu'un a modifié la session depuis votre copie ; la session et l'ETag "
        "actuels sont joints : appliquez-y votre changement et réécrivez.",
        "ko": "가지고 있는 사본 이후에 누군가 세션을 바꿨습니다. 현재 세션과 ETag가 첨부되어 있으니 거기에 변경을 다시 적용해 쓰세요.",
    },
    "mpsd.429": {
        "en": "Too many calls for this user and title (fine-grained rate limiting); wait for "
        "Retry-After before calling again, and call less often.",
        "fr": "Trop d'appels pour cet utilisateur et ce titre (limitation fine du débit) ; "
        "attendez le délai Retry-After avant de rappeler, et appelez moins souvent.",
        "ko": "이 사용자와 타이틀의 호출이 너무 많습니다(세분화된 속도 제한). Retry-After만큼 기다린 뒤 호출하고 호출 빈도를 줄이세요.",
    },
    "mpsd.500": {
        "en": "The service failed while handling the request; a read can be retried, a write "
        "only if it was conditional.",
        "fr": "Le service a échoué en traitant la requête ; une lecture peut être réessayée, "
        "une écriture seulement si elle était conditionnelle.",
        "ko": "서비스가 요청 처리 중 실패했습니다. 읽기는 다시 시도할 수 있고, 쓰기는 조건부였을 때만 다시 시도하세요.",
    },
    "mpsd.503": {
        "en": "The service is overloaded and did not do the work; try again after the "
        "Retry-After delay.",
        "fr": "Le service est surchargé et n'a rien fait ; réessayez après le délai Retry-After.",
        "ko": "서비스가 과부하 상태라 작업을 하지 않았습니다. Retry-After 시간이 지난 뒤 다시 시도하세요.",
    },
    # --- outcomes that are not a row --------------------------------------------------
    "error": {
        "en": "The call failed; see the message and status for details.",
        "fr": "L'appel a échoué ; voyez le message et le statut pour les détails.",
        "ko": "호출이 실패했습니다. 자세한 내용은 메시지와 상태 코드를 보세요.",
    },
    "unknown.client": {
        "en": "The service refused the request with a status this SDK has no specific "
        "meaning for; change the request before retrying.",
        "fr": "Le service a refusé la requête avec un statut sans signification propre pour "
        "ce SDK ; modifiez la requête avant de réessayer.",
        "ko": "이 SDK가 따로 정의하지 않은 상태 코드로 요청이 거부되었습니다. 요청을 바꾼 뒤 다시 시도하세요.",
    },
    "unknown.server": {
        "en": "The service or a gateway failed with a status this SDK has no specific "
        "meaning for; try again later.",
        "fr": "Le service ou une passerelle a échoué avec un statut sans signification "
        "propre pour ce SDK ; réessayez plus tard.",
        "ko": "서비스나 게이트웨이가 이 SDK가 따로 정의하지 않은 상태 코드로 실패했습니다. 나중에 다시 시도하세요.",
    },
    "unknown.other": {
        "en": "The service answered with a status this call does not expect (redirects are "
        "not followed); check the base URL and the service version.",
        "fr": "Le service a répondu par un statut inattendu pour cet appel (les redirections "
        "ne sont pas suivies) ; vérifiez l'URL de base et la version du service.",
        "ko": "이 호출에서 예상하지 않은 상태 코드를 받았습니다(리디렉션은 따르지 않습니다). 기본 URL과 서비스 버전을 확인하세요.",
    },
    "malformed": {
        "en": "The response did not contain what its status promises (wrong content type, "
        "bad JSON or too large); a proxy may be answering instead of the service.",
        "fr": "La réponse ne contient pas ce que son statut annonce (type de contenu faux, "
        "JSON invalide ou trop gros) ; un proxy répond peut-être à la place du service.",
        "ko": "응답 내용이 상태 코드가 약속한 것과 다릅니다(잘못된 콘텐츠 형식, 깨진 JSON, 너무 큼). 서비스 대신 프록시가 응답했을 수 있습니다.",
    },
    "ambiguous": {
        "en": "A retried write was refused by its precondition after an earlier attempt "
        "that may have landed; compare the attached session with what you wrote.",
        "fr": "Une écriture réessayée a été refusée par sa précondition après une tentative "
        "qui a peut-être abouti ; comparez la session jointe avec ce que vous avez écrit.",
        "ko": "앞선 시도가 반영되었을 수 있는 상태에서 재시도한 쓰기가 사전 조건으로 거부되었습니다. 첨부된 세션과 쓴 내용을 비교하세요.",
    },
    "transport": {
        "en": "No usable response arrived (connection failed, reset or timed out); check "
        "the network, and note whether the request may have been sent.",
        "fr": "Aucune réponse exploitable (connexion échouée, coupée ou expirée) ; vérifiez "
        "le réseau et notez si la requête a pu partir.",
        "ko": "쓸 수 있는 응답을 받지 못했습니다(연결 실패, 끊김, 시간 초과). 네트워크를 확인하고 요청이 전송되었을 수 있는지 확인하세요.",
    },
    "watch": {
        "en": "The watch cannot go on: Real-Time Activity refused the subscription or the "
        "WebSocket, or kept dropping it; check the status, your token and the session.",
        "fr": "La surveillance ne peut continuer : Real-Time Activity a refusé l'abonnement "
        "ou le WebSocket, ou l'a coupé trop souvent ; vérifiez le statut, votre jeton et la "
        "session.",
        "ko": "감시를 계속할 수 없습니다. Real-Time Activity가 구독이나 WebSocket을 거부했거나 연결이 계속 끊겼습니다. 상태, 토큰, 세션을 확인하세요.",
    },
    "cooldown": {
        "en": "The service asked this client to slow down and the wait is not over; the "
        "call was not sent. Try again after retry_after seconds.",
        "fr": "Le service a demandé à ce client de ralentir et l'attente n'est pas finie ; "
        "l'appel n'est pas parti. Réessayez après retry_after secondes.",
        "ko": "서비스가 이 클라이언트에 속도를 늦추라고 했고 대기 시간이 끝나지 않아 호출을 보내지 않았습니다. retry_after초 뒤에 다시 시도하세요.",
    },
}


TEXTS: Mapping[str, Mapping[str, str]] = {**_MPSD_AND_OUTCOMES, **SERVICE_TEXTS}
"""Every explanation, by key."""


def language(lang: str) -> str:
    """``lang`` as one of ``LANGUAGES`` (a region is dropped: ``fr-CA`` is ``fr``);
    ``ValueError`` naming those accepted for any other."""
    code = lang.lower().replace("_", "-").split("-")[0] if isinstance(lang, str) else None
    if code not in LANGUAGES:
        raise ValueError(
            f"unknown language {lang!r}: accepted are {', '.join(LANGUAGES)} "
            "(a region such as fr-CA is ignored)"
        )
    return code


def explain(key: str, lang: str = "en") -> str:
    """The explanation for ``key`` in ``lang`` (see ``language``: an unknown language
    is a ``ValueError``, not a silent answer in English)."""
    texts = TEXTS.get(key) or TEXTS["error"]
    return texts[language(lang)]
